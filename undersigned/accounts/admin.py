from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from undersigned.accounts.models import User
from undersigned.accounts.second_factor import second_factor_remove
from undersigned.commissions.models import CommissionMembership


class CommissionMembershipInline(admin.TabularInline):
    """A staff member's roles, one per commission (what each allows: ``permissions.roles``)."""

    model = CommissionMembership
    extra = 1
    fields = ("commission", "role")


class StaffUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class StaffUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_secretariat", "is_active")
    list_filter = ("is_secretariat", "is_active", "is_staff")
    search_fields = ("email", "full_name")
    inlines = [CommissionMembershipInline]

    def get_inline_instances(self, request: HttpRequest, obj: User | None = None) -> list[Any]:
        # Roles are given once the account exists; the add form stays Django's own.
        return super().get_inline_instances(request, obj) if obj is not None else []

    actions = ["reset_second_factor"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        (_("Roles"), {"fields": ("is_secretariat", "is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")}),
    )

    @admin.action(description=_("Reset the second factor (lost phone): set up again at next sign-in"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for user in queryset:
            second_factor_remove(actor=actor, user=user)
        self.message_user(request, _("Second factor reset for %(count)d accounts.") % {"count": queryset.count()})
