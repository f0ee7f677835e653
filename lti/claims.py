"""The names of the id_token claims the tool reads (IMS LTI 1.3 Core, Deep Linking 2.0, NRPS 2.0, AGS 2.0)."""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
ROLES = LTI + "roles"
MENTEES = LTI + "role_scope_mentor"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
NAMES_AND_ROLES = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
GRADES_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
