"""The three roles, as Django groups, and what each may do.

annotators  judge comparisons in the annotation UI; no admin access.
admins      manage the corpus and render jobs in the Django admin (staff).
ml_engineers export preferences and run training; separate from admins.
"""
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

ANNOTATORS = "annotators"
ADMINS = "admins"
ML_ENGINEERS = "ml_engineers"
ROLES = (ANNOTATORS, ADMINS, ML_ENGINEERS)

# Apps whose models each role may manage through the admin.
ROLE_APPS = {
    ANNOTATORS: (),
    ADMINS: ("corpus", "rendering", "annotator", "axes"),  # axes: login attempts and lockouts
    ML_ENGINEERS: ("training",),
}
STAFF_ROLES = {ADMINS}


def ensure_role_groups(**_kwargs) -> None:
    """Create the role groups and give each its permissions (safe to run repeatedly)."""
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        apps = ROLE_APPS[role]
        group.permissions.set(Permission.objects.filter(content_type__app_label__in=apps))


def has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=role).exists()


def role_required(role: str):
    """View decorator: the user must have `role`. Anonymous users go to the login page (the
    login middleware); a signed-in user without the role gets 403."""
    def check(user) -> bool:
        if has_role(user, role):
            return True
        raise PermissionDenied
    return user_passes_test(check)


def assign_role(user, role: str) -> None:
    """Put `user` in exactly one role group; only admins get into the Django admin."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    ensure_role_groups()
    user.groups.set([Group.objects.get(name=role)])
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=["is_staff"])
