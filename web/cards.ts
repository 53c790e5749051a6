// /pay/cards: the player's cards; choose the default or add one (e.g. after a decline).
import { OfflineError, request } from './api.js';
import { cardForm, cardSummary, type Card } from './card-form.js';
import { closeSheet, tell } from './messages.js';
import { SetDefaultCardMutation } from './operations.js';
import { brandName, h, notice, show } from './ui.js';

/** Shows the cards screen; every change is reported to the game as `coinslot:cards-changed`. */
export function cardsScreen(cards: Card[], displayName: string, message?: string): void {
  const status = h('div', { class: 'form-status' }, message ? notice('success', message) : null);
  const list = h(
    'ul',
    { class: 'card-list', 'aria-label': 'Your cards' },
    ...cards.map((card) => {
      const label = `${brandName(card.brand)} •• ${card.last4}`;
      let action: HTMLElement;
      if (card.isDefault) {
        action = h('span', { class: 'badge' }, 'Default');
      } else {
        const button = h(
          'button',
          { type: 'button', class: 'btn secondary', 'aria-label': `Make default: ${label}` },
          'Make default',
        );
        button.addEventListener('click', async () => {
          button.setAttribute('aria-disabled', 'true');
          try {
            const { setDefaultCard } = await request(SetDefaultCardMutation, { input: { cardId: card.id } });
            if (setDefaultCard.__typename !== 'SetDefaultCardPayload') {
              status.replaceChildren(notice('error', setDefaultCard.message));
              return;
            }
            tell({ type: 'coinslot:cards-changed' });
            cardsScreen(
              cards.map((c) => ({ ...c, isDefault: c.id === card.id })),
              displayName,
              `${label} is now your default card.`,
            );
          } catch (error) {
            status.replaceChildren(
              notice('error', error instanceof OfflineError ? error.message : 'Could not change the default card.'),
            );
          } finally {
            button.removeAttribute('aria-disabled');
          }
        });
        action = button;
      }
      return h('li', { class: 'card-row' }, cardSummary(card), action);
    }),
  );
  const add = h('button', { type: 'button', class: 'btn secondary wide' }, 'Add a card');
  const addBox = h('div', { class: 'add-card', hidden: true });
  add.addEventListener('click', () => {
    add.hidden = true;
    addBox.hidden = false;
    addBox.replaceChildren(
      h('h2', {}, 'Add a card'),
      cardForm({
        holderName: displayName,
        makeDefault: true,
        submitLabel: 'Save as default card',
        onAdded: (card) => {
          tell({ type: 'coinslot:cards-changed' });
          cardsScreen(
            [...cards.map((c) => ({ ...c, isDefault: false })), { ...card, isDefault: true }],
            displayName,
            `${brandName(card.brand)} •• ${card.last4} saved as your default card.`,
          );
        },
      }),
    );
    addBox.querySelector<HTMLElement>('h2')?.focus();
  });
  const done = h('button', { type: 'button', class: 'btn primary wide' }, 'Done');
  done.addEventListener('click', () => closeSheet());
  show(
    h('h1', {}, 'Your cards'),
    h('p', { class: 'lead' }, 'One-tap purchases use your default card.'),
    cards.length ? list : h('p', { class: 'lead' }, 'No card yet.'),
    status,
    add,
    addBox,
    done,
  );
}
