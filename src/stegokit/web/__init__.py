"""``stegokit serve``: the toolkit as a local web app (Starlette, uvicorn, Jinja2; the
``web`` extra).

- :func:`stegokit.web.app.create_app` builds the app; other faces add their routes in its
  marked EXTRA ROUTES place.
- :mod:`.sessions`: :func:`~.sessions.signed_in` / :func:`~.sessions.require_user` give the
  signed-in user of a request (e-mail, name, unlocked private key), :func:`~.sessions.check_csrf`
  refuses a form without this session's token.
- :mod:`.uploads`: forms streamed into a private folder removed after the request.
- :mod:`.render`: templates, the navigation bar, error pages in the CLI's wording.

Nothing here is imported by ``import stegokit``; this package imports Starlette at once.
"""
