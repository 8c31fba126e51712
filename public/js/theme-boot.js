// Applies the saved (or OS-preferred) theme before the stylesheet loads, so there is no flash
// of the wrong theme. Classic script on purpose: it must run synchronously in <head>.
(function () {
  var t = null;
  try { t = localStorage.getItem('meshcore-theme'); } catch (e) { /* storage disabled */ }
  if (t !== 'dark' && t !== 'light') {
    t = window.matchMedia && window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
  }
  document.documentElement.setAttribute('data-theme', t);
})();
