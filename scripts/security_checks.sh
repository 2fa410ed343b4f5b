#!/usr/bin/env bash
# `make security`: known vulnerabilities in every locked dependency (pip-audit, asking PyPI's
# vulnerability data), then risky patterns in the code that runs on a server (bandit, configured in
# pyproject.toml's [tool.bandit]). A finding fails, and so does an audit that could not be done: a
# package the service could not be asked about is never counted as clean. When the vulnerability
# service cannot be reached at all (a machine without it), the exit status is 3, not 1, so that CI
# can report "not audited" apart from "vulnerable".
#
#   scripts/security_checks.sh                 both checks
#   scripts/security_checks.sh dependencies    pip-audit only
#   scripts/security_checks.sh code            bandit only
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
uv=scripts/uv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Vulnerabilities accepted for now, one `--ignore-vuln ID` each, with why it cannot reach us and
# when to look again. Keep this empty unless a fix is not yet released or cannot be taken yet.
ignored_vulnerabilities=(
)

audit_dependencies() {
  local requirements report errors started rc id ignore=()
  for id in "${ignored_vulnerabilities[@]}"; do ignore+=(--ignore-vuln "$id"); done
  requirements="$work/requirements.txt" report="$work/audit.json" errors="$work/stderr.txt"
  started=$(date +%s)

  # Every package the lock can install, dev tools included (they run in CI with its secrets).
  # Environment markers are dropped so that a package locked for another Python or platform (Debian's
  # 3.11.2, say) is audited too, not skipped because this interpreter would not install it.
  if ! $uv export --frozen --no-hashes --all-groups --no-emit-project --no-header --quiet \
    | sed -e 's/ *;.*$//' -e '/^ *#/d' -e '/^ *$/d' >"$requirements"; then
    echo "security: could not export the locked requirements (uv export --frozen)" >&2
    return 1
  fi

  $uv run --frozen pip-audit --requirement "$requirements" --no-deps --disable-pip \
    --progress-spinner off --format json --aliases on --desc off --output "$report" \
    "${ignore[@]}" 2>"$errors"
  rc=$?

  if [ ! -s "$report" ]; then
    if grep -qE 'ConnectionError|NameResolution|Max retries|Timeout|SSLError|HTTPError' "$errors"; then
      echo "security: NOT AUDITED: could not reach the vulnerability service, so nothing was audited:" >&2
      grep -vE '^WARNING:pip_audit._cli:(--no-deps is supported|Consider using)' "$errors" | tail -n 1 >&2
      return 3
    else
      echo "security: FAILED: pip-audit stopped (exit $rc) before auditing:" >&2
    fi
    grep -vE '^WARNING:pip_audit._cli:(--no-deps is supported|Consider using)' "$errors" | tail -n 1 >&2
    return 1
  fi

  # pip-audit itself exits 0 when it could not look a package up ("skipped"); that is no answer.
  $uv run --frozen python - "$report" "$(($(date +%s) - started))" <<'PYTHON'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
seconds = sys.argv[2]
dependencies = report["dependencies"]
skipped = [d for d in dependencies if d.get("skip_reason")]
vulnerable = [d for d in dependencies if d.get("vulns")]
for dependency in vulnerable:
    for vulnerability in dependency["vulns"]:
        fixes = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version yet"
        aliases = ", ".join(vulnerability.get("aliases") or [])
        print(
            f"security: {dependency['name']} {dependency['version']}: {vulnerability['id']}"
            f"{f' ({aliases})' if aliases else ''}; fixed in {fixes}",
            file=sys.stderr,
        )
if skipped:
    if len(skipped) == len(dependencies):
        print(
            f"security: NOT AUDITED: the vulnerability service answered for none of the {len(dependencies)} locked "
            "packages, so nothing was audited. pip-audit asks https://pypi.org/pypi/<name>/<version>/json; "
            f"it said: {skipped[0]['skip_reason']}",
            file=sys.stderr,
        )
    else:
        for dependency in skipped:
            print(f"security: not audited: {dependency['name']}: {dependency['skip_reason']}", file=sys.stderr)
        print(
            f"security: FAILED: {len(skipped)} of {len(dependencies)} locked packages could not be audited",
            file=sys.stderr,
        )
if vulnerable:
    print(
        f"security: FAILED: known vulnerabilities in {len(vulnerable)} of {len(dependencies)} locked packages",
        file=sys.stderr,
    )
if vulnerable or (skipped and len(skipped) < len(dependencies)):
    sys.exit(1)
if skipped:
    sys.exit(3)
print(f"security: {len(dependencies)} locked packages audited, no known vulnerabilities ({seconds} s)")
PYTHON
}

check_code() {
  local started
  started=$(date +%s)
  # Tests are left out in [tool.bandit]; scripts/ and benchmarks/ are run by hand on a developer's
  # machine and drive subprocesses on purpose.
  if ! $uv run --frozen bandit --configfile pyproject.toml --recursive --quiet undersigned config tools manage.py; then
    echo "security: FAILED: bandit found the issues above (see [tool.bandit] in pyproject.toml for what is skipped and why)" >&2
    return 1
  fi
  echo "security: bandit found nothing in undersigned/, config/, tools/ ($(($(date +%s) - started)) s)"
}

status=0
case "${1:-all}" in
  dependencies) audit_dependencies; status=$? ;;
  code) check_code || status=1 ;;
  all)
    audit_dependencies; status=$?
    check_code || status=1
    ;;
  *)
    echo "usage: scripts/security_checks.sh [dependencies|code]" >&2
    exit 2
    ;;
esac
exit $status
