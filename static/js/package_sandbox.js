/* Put first in every page of an imported package. The package plays in a sandbox without an
 * origin of its own, where reading document.cookie or localStorage throws; units and their
 * libraries (axios reads a cookie before each request) expect them to work. Here they do, in
 * memory, for this page only: nothing reaches lxp's cookies or storage.
 */
(function () {
  "use strict";
  function memoryStorage() {
    var items = {};
    return {
      getItem: function (key) { return Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null; },
      setItem: function (key, value) { items[key] = String(value); },
      removeItem: function (key) { delete items[key]; },
      clear: function () { items = {}; },
      key: function (n) { return Object.keys(items)[n] || null; },
      get length() { return Object.keys(items).length; }
    };
  }
  try { void document.cookie; } catch (error) {
    var jar = "";
    Object.defineProperty(document, "cookie", {
      configurable: true, get: function () { return jar; }, set: function () { /* kept nowhere */ }
    });
  }
  ["localStorage", "sessionStorage"].forEach(function (name) {
    try { void window[name]; } catch (error) {
      Object.defineProperty(window, name, { configurable: true, value: memoryStorage() });
    }
  });
})();
