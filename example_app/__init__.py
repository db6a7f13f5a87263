"""A small host admin that shows flask-jsscripts at work (``./dev example`` serves it).

Two tenants, users with the roles admin/developer/viewer, an Orders page whose new orders are
published as ``order.created`` events, and the extension mounted under ``/admin/scripts`` inside
this app's own layout, exactly as the README tells any host to do it.
"""
