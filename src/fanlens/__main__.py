from fanlens.cli import app

app()
