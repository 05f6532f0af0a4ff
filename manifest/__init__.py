"""The Teams app package for Værn: template, localization, icons, and the build that fills and checks them.

`python -m manifest build` writes appPackage.zip; see manifest/README.md for registering the bot.
"""
