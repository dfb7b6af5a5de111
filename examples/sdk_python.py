"""Connect the Python SDK with a backend token and read one flag."""

import os
import threading

from UnleashClient import UnleashClient
from UnleashClient.events import UnleashEvent, UnleashEventType

ready = threading.Event()


def on_event(event: UnleashEvent) -> None:
    if event.event_type == UnleashEventType.READY:  # the flags have been loaded
        ready.set()


client = UnleashClient(
    url=f"{os.environ['UNLEASH_URL']}/api",  # the backend API URL ends in /api
    app_name="checkout-service",
    custom_headers={"Authorization": os.environ["UNLEASH_BACKEND_TOKEN"]},
    event_callback=on_event,
)
client.initialize_client()
if not ready.wait(timeout=5):
    raise SystemExit("Unleash did not send the flags: check the URL and the token")

print("docs-demo enabled:", client.is_enabled("docs-demo"))
client.destroy()
