/** The current user's change-password form (Settings): current password, new one twice. */
import { errorText, post } from "../api.ts";
import { field, h, toast } from "../dom.ts";

const MIN_PASSWORD = 8;

export function ownPasswordForm(): HTMLElement {
  const current = h("input", { type: "password", name: "currentPassword", autocomplete: "current-password", required: true, maxlength: 1024 });
  const next = h("input", { type: "password", name: "newPassword", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD, maxlength: 1024 });
  const again = h("input", { type: "password", name: "newPasswordAgain", autocomplete: "new-password", required: true, minlength: MIN_PASSWORD, maxlength: 1024 });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit" }, "Change password");
  const form = h("form", { class: "narrow-form", "aria-label": "Change your password" },
    field("Current password", current), field("New password", next, `At least ${MIN_PASSWORD} characters.`), field("New password again", again), error, submit);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (next.value !== again.value) {
      error.textContent = "The two new passwords differ.";
      error.hidden = false;
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      await post("/api/v1/me/password", { currentPassword: current.value, newPassword: next.value });
      form.reset();
      toast("Password changed; your other sessions were logged out");
    } catch (e) {
      error.textContent = errorText(e);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
