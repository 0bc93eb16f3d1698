// A search box above each time-zone select (lxp.core.forms.TimeZoneField): typing part of a
// place ("berl", "new york") leaves only the zones that match and picks the first of them.
// Without JavaScript the grouped select works alone.
document.querySelectorAll("select[data-zone-search]").forEach((select) => {
  const box = document.createElement("input");
  box.type = "search";
  box.id = select.id + "-search";
  box.autocomplete = "off";
  box.setAttribute("aria-controls", select.id);
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.className = "hint";
  label.textContent = select.dataset.zoneSearch;
  select.before(label, box);
  const options = [...select.options];
  const plain = (text) => text.toLowerCase().replace(/[_/]/g, " ").replace(/\s+/g, " ").trim();
  box.addEventListener("input", () => {
    const words = plain(box.value).split(" ").filter(Boolean);
    let first = null;
    options.forEach((option) => {
      const text = plain(option.value + " " + option.text);
      const match = words.every((word) => text.includes(word));
      option.hidden = !match;
      if (match && !first) first = option;
    });
    select.querySelectorAll("optgroup").forEach((group) => {
      group.hidden = ![...group.children].some((option) => !option.hidden);
    });
    if (first && words.length) select.value = first.value;
  });
});
