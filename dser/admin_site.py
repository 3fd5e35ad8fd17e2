"""The project's admin site: Django's, except that a signed-in user without admin rights
gets 403 Forbidden rather than the admin's login page (they are signed in already)."""
from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class DserAdminSite(admin.AdminSite):
    site_header = site_title = "DSER preference studio"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)


class DserAdminConfig(AdminConfig):
    default_site = "dser.admin_site.DserAdminSite"
