from tests.fixtures.database import (  # noqa: F401  (pytest finds fixtures by name)
    admin_url,
    empty_database_url,
    engine,
    fresh_database_url,
    run_dir,
    session,
    template_database,
)
from tests.fixtures.webhook import receiver  # noqa: F401
