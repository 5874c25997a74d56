"""Helpers that drive a real Home Assistant over HTTP for scripts/develop and the end-to-end tests.

Everything goes through Home Assistant's public HTTP and WebSocket APIs, the same way the frontend does:
onboarding, signing in, application credentials, and walking the ev.energy OAuth 2 config flow.
"""
