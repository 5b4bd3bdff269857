"""The ASGI application for servers that import it (``uvicorn service.app.asgi:app``)."""

from service.app.factory import create_app
from service.observability.logs import configure_logging
from service.settings import Settings

settings = Settings()
configure_logging(settings.log_level)
app = create_app(settings)
