"""Object permissions (django-rules) so templates and the admin ask the same questions as the views."""

import rules

from . import access

rules.add_perm("organisation.view_unit", rules.predicate(access.can_read_unit))
rules.add_perm("organisation.change_unit", rules.predicate(access.can_manage_unit))
rules.add_perm("organisation.change_person", rules.predicate(access.can_manage_person))
rules.add_perm("organisation.change_committee", rules.predicate(access.can_manage_committee))
