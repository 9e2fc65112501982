// Narrow selectors shared by components. They return stored values (or shared constants), never
// fresh arrays or objects, so a selection only changes when the data does.
import type { Destination } from '../../core/contract/index.js';
import type { AppState } from './index.js';

const NO_DESTINATIONS: readonly Destination[] = [];

export const selectDestinations = (state: AppState): readonly Destination[] => state.settings?.destinations ?? NO_DESTINATIONS;

export const selectCurrentDestination = (state: AppState): Destination | null =>
  state.settings?.destinations.find((destination) => destination.id === state.destinationId) ?? null;
