// Choosing people among many (lxp.core.forms.PeopleField): the Enter key in a field's search box
// finds with that field's "Find"; anywhere else in the form it submits as the form's own button
// does, not as the first "Find" (the button a browser presses for Enter). Without JavaScript
// Enter anywhere finds, which saves nothing and keeps everything typed.
document.querySelectorAll("form").forEach((form) => {
  if (!form.querySelector('button[name="find-people"]')) return;
  const own = [...form.querySelectorAll('button[type="submit"]')].filter((b) => b.name !== "find-people").pop();
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing || event.target.tagName !== "INPUT") return;
    const find = event.target.closest(".find-people")?.querySelector('button[name="find-people"]');
    const button = find || own;
    if (!button) return;
    event.preventDefault();
    form.requestSubmit(button);
  });
});
