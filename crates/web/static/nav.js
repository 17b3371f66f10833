// The main menu folds behind its button on narrow screens (renkei.css
// decides when). Without this script the menu simply stays open.
(function () {
  var nav = document.querySelector('.site-nav');
  if (!nav) return;
  var button = document.querySelector('.nav-toggle');
  if (!button) return;
  nav.classList.add('foldable');
  button.hidden = false;
  button.addEventListener('click', function () {
    var open = nav.classList.toggle('open');
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
  });
})();

// Print buttons (the confirmation sheets): the browser's print dialog.
// Without this script the browser's own print command does the same.
(function () {
  var buttons = document.querySelectorAll('[data-print]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function () { window.print(); });
  }
})();
