"""Who may do what: the roles table, the predicates built on it, and the protected reads of the
staff pages. Every domain may import it; it imports only the models of the layers below
(accounts, commissions, statements), so no domain imports another just to ask "may they"."""
