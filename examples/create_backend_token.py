"""Create a backend token through the Admin API and print what the server returns."""

import os

import requests

unleash_url = os.environ["UNLEASH_URL"]  # e.g. http://localhost:4242
admin_token = os.environ["UNLEASH_ADMIN_TOKEN"]

response = requests.post(
    f"{unleash_url}/api/admin/api-tokens",
    headers={"Authorization": admin_token},
    json={
        "tokenName": "checkout-service",
        "type": "backend",
        "environment": "development",
        "projects": ["default"],
    },
    timeout=10,
)
response.raise_for_status()
token = response.json()
print(response.status_code, token["type"], token["environment"], token["projects"])
print(token["secret"])
