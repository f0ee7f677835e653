// The JavaScript linter for the pages' scripts (web/static/js): `make lint` runs it.
// The scripts run in the browser as they are (no build step); gettext and friends come from Django's
// JavaScript catalogue, loaded before them.
import js from "@eslint/js";
import globals from "globals";

const catalogue = { gettext: "readonly", ngettext: "readonly", pgettext: "readonly", npgettext: "readonly", interpolate: "readonly" };

export default [
  { ignores: ["node_modules/", "var/", ".venv/", "staticfiles/", "test-artifacts/"] },
  js.configs.recommended,
  {
    files: ["web/static/js/**/*.js", "lti/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, ...catalogue },
    },
    rules: {
      "no-unused-vars": ["error", { args: "after-used" }],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    // Classic scripts (not modules): the review page and the WebRTC helpers.
    files: ["web/static/js/review.js", "web/static/js/webrtc.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
