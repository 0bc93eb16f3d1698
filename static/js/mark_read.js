// Pages never write on being shown: a page with something unread carries a "Mark as read"
// form (templates/_mark_read.html). Having shown the page, send it, and hide the button.
document.querySelectorAll("form[data-mark-read-on-load]").forEach((form) => {
  fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    headers: { "X-Requested-With": "fetch" },
    credentials: "same-origin",
  }).then((response) => {
    if (response.ok) form.hidden = true;
  }).catch(() => {}); // offline: the button stays
});
