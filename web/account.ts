// Sign up or sign in to Coinslot; resolves once the pay sheet holds a player session.
import { OfflineError, request } from './api.js';
import { LogInMutation, SignUpMutation } from './operations.js';
import { session } from './session.js';
import { tooManyTriesMessage } from '../src/sdk/player-messages.js';
import { field, h, messageNotice, notice, show } from './ui.js';

/** Which form shows first: a new player signs up, a returning one (the account page) signs in. */
export type Mode = 'sign-up' | 'sign-in';

/** Shows the account screen until the player is signed in. */
export function signIn(context: { gameName: string | null; reason?: string }, mode: Mode = 'sign-up'): Promise<void> {
  let resolve!: () => void;
  const signedIn = new Promise<void>((r) => (resolve = r));
  render(mode);
  return signedIn;

  function render(current: Mode): void {
    const signingUp = current === 'sign-up';
    const name = field('display-name', 'Your name', {
      type: 'text',
      autocomplete: 'nickname',
      required: true,
      maxlength: '60',
    });
    const email = field('email', 'Email', {
      type: 'email',
      autocomplete: 'email',
      required: true,
      inputmode: 'email',
      spellcheck: 'false',
    });
    const password = field('password', signingUp ? 'Password (10 characters or more)' : 'Password', {
      type: 'password',
      autocomplete: signingUp ? 'new-password' : 'current-password',
      required: true,
      minlength: signingUp ? '10' : undefined,
    });
    const status = h('div', { class: 'form-status' });
    const submit = h(
      'button',
      { type: 'submit', class: 'btn primary wide' },
      signingUp ? 'Create Coinslot account' : 'Sign in',
    );
    const form = h(
      'form',
      { class: 'form', novalidate: true, 'aria-describedby': 'account-intro' },
      signingUp ? name.wrap : null,
      email.wrap,
      password.wrap,
      status,
      submit,
    );
    const other = h(
      'button',
      { type: 'button', class: 'btn link' },
      signingUp ? 'I already have an account' : 'Create an account instead',
    );
    other.addEventListener('click', () => render(signingUp ? 'sign-in' : 'sign-up'));

    let busy = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      name.setError('');
      email.setError('');
      password.setError('');
      status.replaceChildren();
      let invalid = false;
      if (signingUp && !name.input.value.trim()) {
        name.setError('Enter a name to show in games.');
        invalid = true;
      }
      if (!/^\S+@\S+\.\S+$/.test(email.input.value.trim())) {
        email.setError('Enter a valid email address.');
        invalid = true;
      }
      if (signingUp ? password.input.value.length < 10 : !password.input.value) {
        password.setError(signingUp ? 'Use at least 10 characters.' : 'Enter your password.');
        invalid = true;
      }
      if (invalid) {
        form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
        return;
      }
      busy = true;
      submit.setAttribute('aria-disabled', 'true');
      submit.classList.add('busy');
      try {
        const input = { email: email.input.value.trim(), password: password.input.value };
        const result = signingUp
          ? (await request(SignUpMutation, { input: { ...input, displayName: name.input.value.trim() } })).signUpPlayer
          : (await request(LogInMutation, { input })).logInPlayer;
        if (result.__typename === 'PlayerAuthPayload') {
          session.save(result.token, result.player.displayName);
          resolve();
          return;
        }
        if (result.__typename === 'ValidationError') {
          for (const issue of result.fieldErrors) {
            if (issue.path.endsWith('email')) email.setError(issue.message);
            else if (issue.path.endsWith('password')) password.setError(issue.message);
            else if (issue.path.endsWith('displayName')) name.setError(issue.message);
          }
          status.replaceChildren(notice('error', 'Please check the highlighted fields.'));
        } else if (result.__typename === 'EmailTaken') {
          email.setError('An account with this email exists.');
          status.replaceChildren(notice('error', 'This email already has a Coinslot account: sign in instead.'));
        } else if (result.__typename === 'InvalidCredentials') {
          status.replaceChildren(notice('error', 'Email or password is incorrect.'));
        } else if (result.__typename === 'RateLimited') {
          status.replaceChildren(messageNotice('error', tooManyTriesMessage('sign-ins', result.retryAfterSeconds)));
        } else {
          status.replaceChildren(notice('error', result.message));
        }
      } catch (error) {
        status.replaceChildren(
          notice('error', error instanceof OfflineError ? error.message : 'Something went wrong. Try again.'),
        );
      } finally {
        busy = false;
        submit.removeAttribute('aria-disabled');
        submit.classList.remove('busy');
      }
    });

    show(
      h('h1', {}, signingUp ? 'Create your Coinslot account' : 'Sign in to Coinslot'),
      h(
        'p',
        { class: 'lead', id: 'account-intro' },
        context.reason ??
          (context.gameName
            ? `${context.gameName} uses Coinslot: keep a card on file once, then buy in any game with one tap.`
            : 'Keep a card on file once, then buy in any game with one tap.'),
      ),
      form,
      h('div', { class: 'center' }, other),
    );
  }
}
