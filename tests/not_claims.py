"""The sentences of the pages that need no claim test, each with the reason (see tests/claims.py).

Keys are whole sentences (or table rows), Markdown as written with whitespace normalized, under
the page's path relative to docs/. An entry whose sentence left its page fails
tests/test_claims_link.py, as a sentence in neither place does.
"""

NAVIGATION = "points the reader to another page or section; the strict build checks the link"
ADVICE = "tells the reader what to do, and says nothing about how Unleash behaves"
INTRO = "introduces the table, list or sample after it, whose rows, items or output are checked"
SITE = "describes this site or page, not Unleash"
BOX = "the title of a box whose lines are quoted by claim tests"
WORD = "says what a word means on this page"
DRIFT = (
    "describes how the site is kept true: `make test-latest` runs the suite against the newest "
    "unleash-server and SDKs and names the claims that broke"
)
EDITIONS = (
    "names what another edition adds and links to its documentation, claiming nothing about how "
    "it behaves (the edition this site runs is checked: see the home page's test)"
)
PURPOSE = (
    "says what a kind of token or API is for; what it opens and answers is quoted in the "
    "sentences after it"
)

NOT_CLAIMS: dict[str, dict[str, str]] = {
    "how-to/how-to-create-api-tokens.md": {
        "What each kind of token can do: [API tokens and client keys](../reference/api-tokens-and-client-keys.md).": NAVIGATION,
        "Each field is explained in [the token's data](../reference/api-tokens-and-client-keys.md#token-data).": NAVIGATION,
        "To replace a token's secret with a new one without downtime, see [How to rotate an API token](how-to-rotate-an-api-token.md).": NAVIGATION,
        "Keep tokens out of your code: read them from the environment or a secret store.": ADVICE,
        "In a GitHub Actions workflow, for example, pass a repository secret to the step that needs it:": ADVICE,
        "The same task as a call, for scripts and automation.": INTRO,
        "Permissions": BOX,
    },
    "how-to/how-to-rotate-an-api-token.md": {
        "Put the new secret wherever your service reads its token, such as the secret store or the environment variable of its deployment, and roll the service out.": ADVICE,
        "To rotate a token is to swap its secret for a new one: because a secret has leaked, because someone who knew it has left, or on a schedule.": WORD,
    },
    "index.md": {
        "[Get started](get-started.md): a server, the environment variables, the packages and the demo flag: what every sample on this site needs, in one place.": NAVIGATION,
        "[How to create API tokens](how-to/how-to-create-api-tokens.md): in the admin UI, or through the Admin API, and how to use them; for [one project](how-to/how-to-create-a-project-api-token.md); [personal access tokens](how-to/how-to-create-a-personal-access-token.md) for your own scripts.": NAVIGATION,
        "[How to rotate an API token](how-to/how-to-rotate-an-api-token.md): a new secret without downtime.": NAVIGATION,
        "[API tokens and client keys](reference/api-tokens-and-client-keys.md): the kinds of token, what each opens, what a token is made of, expiry and revoking.": NAVIGATION,
        "[Front-end API](reference/front-end-api.md): the API that browsers and apps read, and its CORS settings.": NAVIGATION,
        "[SDKs and tokens](reference/sdks-and-tokens.md): which token each kind of SDK needs, with samples for Python, Node and the browser.": NAVIGATION,
        "[Troubleshooting 401 and 403](troubleshooting.md): what each answer means and what to check.": NAVIGATION,
        "Everything you need to create, use and troubleshoot the tokens that let SDKs, scripts and browsers talk to an [Unleash](https://www.getunleash.io/) server.": SITE,
        "When Unleash changes, the tests fail before the docs go wrong.": DRIFT,
        "Unleash Enterprise adds [service accounts](https://docs.getunleash.io/reference/service-accounts) and [project roles](https://docs.getunleash.io/reference/rbac); this site does not cover them.": EDITIONS,
    },
    "reference/api-tokens-and-client-keys.md": {
        "To make one, follow [How to create API tokens](../how-to/how-to-create-api-tokens.md).": NAVIGATION,
        "To replace a token without downtime, create its successor first and delete the old one once nothing uses it: [How to rotate an API token](../how-to/how-to-rotate-an-api-token.md).": NAVIGATION,
        "To automate the Admin API, use a [personal access token](#token-types) of a user who has the permissions the script needs.": ADVICE,
        "Two older names still meet you in SDK options and older guides:": INTRO,
        "These are the fields you set when you create a token, on the form or in the body of `POST /api/admin/api-tokens`, and the fields the server adds.": INTRO,
        "A script sends a secret instead of logging in.": INTRO,
        "This page lists the kinds of secret, what each opens, what a token is made of, and how long it lives.": SITE,
        "A front-end token is meant to be seen: it ships inside your web or mobile app, where anyone can read it.": PURPOSE,
    },
    "reference/front-end-api.md": {
        "Use it where the code, and so the token, is in the hands of your users.": ADVICE,
        "The front-end API is the part of Unleash that code running on a user's device talks to: a web page, a single-page app, a mobile app.": PURPOSE,
    },
    "reference/sdks-and-tokens.md": {
        "The causes are listed in [Troubleshooting 401 and 403](../troubleshooting.md).": NAVIGATION,
        "Watch the SDK's errors (the Python SDK's log, the Node SDK's `error` event) rather than the flags' values to find a bad token.": ADVICE,
    },
    "troubleshooting.md": {
        "See [token types](reference/api-tokens-and-client-keys.md#token-types).": NAVIGATION,
        "Start from what your SDK prints, then look up the cause.": ADVICE,
        "For another scope, create a new token.": ADVICE,
        "Check that the token is gone from `GET /api/admin/api-tokens`.": ADVICE,
        "A front-end token is made to be seen ([front-end tokens](reference/api-tokens-and-client-keys.md#front-end-tokens)).": PURPOSE,
    },
}
