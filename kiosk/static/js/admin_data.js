// RDKK upload page (kiosk/templates/admin/data_rdkk.html): the check and the import run while the
// request is open, so say that the page is working and refuse a second submit of the same form
// (a double click would otherwise upload the file twice). Works without this script too.

const form = document.getElementById("rdkk-form");
const busy = document.getElementById("rdkk-busy");

if (form && busy) {
  let sent = false;
  form.addEventListener("submit", (event) => {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    busy.hidden = false;
    form.setAttribute("aria-busy", "true");
  });
  // coming back with the browser's back button shows the page from its cache: ready again
  window.addEventListener("pageshow", () => {
    sent = false;
    busy.hidden = true;
    form.removeAttribute("aria-busy");
  });
}
