"""Who is whose leader, deputy, HR function and arbejdsmiljøgruppe, from a source an administrator keeps.

The port is `services.roles.Directory` (synchronous: it answers from memory). The JSON file
(`services.roles.JsonDirectory`) is the local default; `directory.graph.GraphDirectory` reads Microsoft Entra ID
through Microsoft Graph with the bot's own application credential (`directory.graph_token`) and answers from a
snapshot it refreshes in the background. `bot.directory_source.open_directory` picks one from the settings.
"""
