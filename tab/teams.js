// The tab's side of Microsoft Teams through the official @microsoft/teams-js (window.microsoftTeams, served by
// the bot from the pinned npm package): initialize, the context (locale and theme), the SSO token and deep links.

const sdk = () => window.microsoftTeams;

export class NotInTeams extends Error {}

export async function connect() {
  if (!sdk() || window.parent === window) throw new NotInTeams("not framed by Teams");
  try {
    await sdk().app.initialize();
  } catch (error) {
    throw new NotInTeams(String(error));
  }
  const context = await sdk().app.getContext();
  return {
    locale: context.app?.locale || "da-DK",
    theme: context.app?.theme || "default",
    userName: context.user?.displayName || "",
  };
}

export function onThemeChange(handler) {
  sdk().app.registerOnThemeChangeHandler(handler);
}

export function loaded() {
  sdk().app.notifySuccess?.();
}

// A fresh SSO token for the bot's API (Teams caches and renews it); throws when Teams cannot give one.
export async function token() {
  return sdk().authentication.getAuthToken();
}

export async function openLink(url) {
  try {
    await sdk().app.openLink(url);
  } catch {
    window.open(url, "_blank", "noopener");
  }
}
