// A real OpenID provider for lxp's tests: panva's oidc-provider (OpenID Certified), on a
// loopback port, configured by the test through standard and test-only endpoints:
//
//   - clients come through Dynamic Client Registration (RFC 7591, POST /reg with the bearer
//     token REGISTRATION_TOKEN below), so each test registers the client it needs;
//   - POST /__test/accounts {sub, claims, signed_in} adds a person; with signed_in the provider
//     treats them as already signed in at work (their next sign-in needs no typing), otherwise a
//     person is picked by the login_hint lxp sends (their e-mail);
//   - a client registered with "x_lxp_forge" gets ID tokens altered after the provider made them,
//     re-signed with the provider's own key (so only the altered part is wrong): "audience"
//     (issued for another client), "expired" (an hour ago), or "signature" (signed with a key the
//     provider never published). That is what a broken or hostile provider would send.
//
// Usage: node provider.js PORT  (prints "ready ISSUER" once it listens)

import { createServer } from 'node:http';

import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK } from 'jose';
import Provider from 'oidc-provider';

// The suite may run at a moment of its own (LXP_TEST_CLOCK, Python's clock moved by
// time_machine): the test passes its "now" as LXP_PEER_NOW and the provider's clock follows it,
// so ID tokens are issued and expire on the same clock lxp checks them with.
if (process.env.LXP_PEER_NOW) {
  const offset = Number(process.env.LXP_PEER_NOW) * 1000 - Date.now();
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}

const port = Number(process.argv[2] || 0);
const REGISTRATION_TOKEN = 'lxp-test-registration';
const accounts = new Map(); // sub -> claims
let signedIn = null; // the sub treated as already signed in at the provider

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const providerKey = await signingKey('lxp-test-key');
const strangerKey = await signingKey('lxp-test-key'); // same kid, never published

function findByHint(hint) {
  if (!hint) return null;
  const wanted = String(hint).toLowerCase();
  for (const [sub, claims] of accounts) {
    if (sub === hint || String(claims.email || '').toLowerCase() === wanted) return sub;
  }
  return null;
}

async function forge(idToken, mode) {
  const header = decodeProtectedHeader(idToken);
  const claims = decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'audience') claims.aud = 'another-application';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  const key = await importJWK(mode === 'signature' ? strangerKey : providerKey, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg, kid: header.kid, typ: header.typ }).sign(key);
}

function listen(server) {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server.address().port)));
}

const server = createServer();
const actualPort = await listen(server);
const issuer = `http://127.0.0.1:${actualPort}`;

const provider = new Provider(issuer, {
  jwks: { keys: [providerKey] },
  cookies: { keys: ['lxp-test-cookie-key'] },
  findAccount: async (ctx, sub) => {
    const claims = accounts.get(sub);
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
  // Where lxp's requested scopes put each claim; groups and department ride with the profile, as an
  // administrator adds them to a scope on Keycloak or Entra ID.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'locale', 'zoneinfo', 'groups', 'department'],
  },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true, initialAccessToken: REGISTRATION_TOKEN },
    // RP-initiated logout with plain pages: the package's own load web fonts from the internet.
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><title>Test provider</title>${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button>`;
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = '<!doctype html><title>Test provider</title><p>Signed out.</p>';
      },
    },
  },
  extraClientMetadata: { properties: ['x_lxp_forge'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 3600 },
});

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

// The interactions: signed in already (or by the login hint), then consent to what lxp asked.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  if (prompt.name === 'login') {
    let sub = findByHint(params.login_hint) || signedIn;
    if (ctx.method === 'POST' && match[2]) {
      const form = new URLSearchParams(await new Promise((resolve) => {
        let body = '';
        ctx.req.on('data', (c) => { body += c; });
        ctx.req.on('end', () => resolve(body));
      }));
      sub = findByHint(form.get('login'));
    }
    if (!sub) {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Test provider</title><form method="post" action="/interaction/${match[1]}/login">`
        + '<label>Who are you? <input name="login"></label><button>Continue</button></form>';
      return undefined;
    }
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
});

// Forged ID tokens for the clients that asked for them (see the top of this file).
provider.use(async (ctx, next) => {
  await next();
  const mode = ctx.oidc?.client?.x_lxp_forge;
  if (ctx.path === '/token' && ctx.status === 200 && mode && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await forge(ctx.body.id_token, mode) };
  }
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  if (req.url === '/__test/accounts' && req.method === 'POST') {
    const { sub, claims, signed_in: signedInNow } = await readJson(req);
    accounts.set(sub, claims || {});
    if (signedInNow) signedIn = sub;
    res.writeHead(204).end();
    return;
  }
  if (req.url === '/__test/signed-in' && req.method === 'DELETE') {
    signedIn = null;
    res.writeHead(204).end();
    return;
  }
  callback(req, res);
});

console.log(`ready ${issuer}`);
