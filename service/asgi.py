"""The ASGI application for servers that import it (``uvicorn service.asgi:app``)."""

from service.app import create_app
from service.logs import configure_logging
from service.settings import Settings

settings = Settings()
configure_logging(settings.log_level)
app = create_app(settings)
