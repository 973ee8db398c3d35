import type { CamerasView } from "./api.ts";

// Who is logged in: what the views show of admin actions (docs/page.md#users). The server holds
// every request to the same rules; this only spares a viewer buttons that would be refused.

let me: CamerasView["me"] = { name: "", role: "viewer" };

export const setMe = (who: CamerasView["me"]) => void (me = who);
export const isAdmin = () => me.role === "admin";
export const myName = () => me.name;
