"""The Telegram layer: dispatcher factory, routers, keyboards, middlewares."""
