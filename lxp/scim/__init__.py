"""SCIM 2.0 provisioning (RFC 7643/7644): an HR system or identity provider keeps people and groups."""
