// A tiny single-page app: History API routing, and a login that identifies the visitor to Touchpoint
// with a token computed by the demo's own server (/demo/api/login), never in the page.
const views = {
  '/demo/app/': '<h1>Catalogue</h1><p>Browse our products.</p>',
  '/demo/app/cart': '<h1>Cart</h1><button id="checkout" type="button">Checkout</button>',
  '/demo/app/account': '<h1>Account</h1><p>Your orders.</p>',
};
function render() {
  const path = location.pathname;
  document.getElementById('view').innerHTML =
    views[path] ?? (path.startsWith('/demo/app/products/') ? `<h1>Product ${path.split('/').pop()}</h1><button id="add" type="button">Add to cart</button>` : '<h1>Not found</h1>');
}
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-route]');
  if (!a) return;
  e.preventDefault();
  history.pushState({}, '', a.getAttribute('href'));
  render();
});
window.addEventListener('popstate', render);
render();

const show = (user) => {
  document.getElementById('login').hidden = !!user;
  document.getElementById('who').hidden = !user;
  document.getElementById('user').textContent = user ?? '';
};
show(localStorage.getItem('demo_user'));
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const email = document.getElementById('login-email').value;
  const res = await fetch('/demo/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
  const { userId, token, traits } = await res.json();
  const result = await tp.identify(userId, { token, traits });
  localStorage.setItem('demo_user', email);
  document.getElementById('login-status').textContent = result?.ok ? 'Identified.' : `Logged in (not linked: ${result?.reason})`;
  show(email);
});
document.getElementById('logout').addEventListener('click', () => {
  tp.reset();
  localStorage.removeItem('demo_user');
  document.getElementById('login-status').textContent = 'Logged out.';
  show(null);
});
