// The demo's own navigation bar, shared by its pages.
document.querySelector('nav')?.insertAdjacentHTML(
  'afterbegin',
  '<a href="/demo/">Home</a><a href="/demo/pricing.html">Pricing</a><a href="/demo/signup.html">Sign up</a><a href="/demo/app/">Shop app (SPA)</a><a href="#" data-tp-preferences>Privacy preferences</a>',
);
