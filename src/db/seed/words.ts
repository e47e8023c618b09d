/** Vocabulary of the demo data. Changing it changes every seeded row. */

export const WAREHOUSES = [
  { code: 'AMS', name: 'Amsterdam fulfilment centre', city: 'Amsterdam', countryCode: 'NL' },
  { code: 'NYC', name: 'New Jersey distribution hub', city: 'Newark', countryCode: 'US' },
  { code: 'SIN', name: 'Singapore regional store', city: 'Singapore', countryCode: 'SG' },
  { code: 'SAO', name: 'São Paulo warehouse', city: 'São Paulo', countryCode: 'BR' },
];

export const CATEGORY_TREE: Record<string, string[]> = {
  Kitchen: ['Cookware', 'Knives', 'Tableware', 'Coffee & Tea', 'Storage', 'Baking'],
  Outdoor: ['Tents', 'Backpacks', 'Camp Kitchen', 'Lighting', 'Sleeping Bags', 'Navigation'],
  Office: ['Desks', 'Chairs', 'Stationery', 'Lamps', 'Organisers', 'Notebooks'],
  Audio: ['Headphones', 'Speakers', 'Turntables', 'Microphones', 'Cables', 'Amplifiers'],
  Garden: ['Tools', 'Planters', 'Seeds', 'Watering', 'Furniture', 'Lighting'],
  Fitness: ['Weights', 'Mats', 'Bands', 'Bottles', 'Trackers', 'Apparel'],
  Home: ['Bedding', 'Towels', 'Rugs', 'Candles', 'Frames', 'Clocks'],
  Travel: ['Suitcases', 'Packing Cubes', 'Adapters', 'Pillows', 'Wallets', 'Locks'],
};

export const ADJECTIVES = [
  'Classic', 'Compact', 'Rugged', 'Essential', 'Premium', 'Everyday', 'Modular', 'Foldable', 'Vintage', 'Nordic',
  'Urban', 'Alpine', 'Coastal', 'Studio', 'Heritage', 'Minimal', 'Deluxe', 'Pro', 'Lightweight', 'Insulated',
];

export const MATERIALS = [
  'Oak', 'Walnut', 'Steel', 'Copper', 'Linen', 'Wool', 'Leather', 'Ceramic', 'Bamboo', 'Cotton',
  'Aluminium', 'Cast Iron', 'Glass', 'Canvas', 'Cork', 'Slate', 'Brass', 'Marble', 'Recycled', 'Titanium',
];

export const NOUNS = [
  'Kettle', 'Skillet', 'Lantern', 'Backpack', 'Notebook', 'Desk Lamp', 'Speaker', 'Planter', 'Yoga Mat', 'Blanket',
  'Mug', 'Cutting Board', 'Headphones', 'Water Bottle', 'Duffel', 'Clock', 'Chair', 'Tent', 'Pillow', 'Organiser',
  'Knife', 'Teapot', 'Trowel', 'Rug', 'Wallet',
];

export const FIRST_NAMES = [
  'Ada', 'Bram', 'Chloé', 'Dmitri', 'Elif', 'Farah', 'Goran', 'Hana', 'Ines', 'Jonas', 'Kenji', 'Lena', 'Mateo',
  'Nadia', 'Oskar', 'Priya', 'Quinn', 'Rosa', 'Samir', 'Tove', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoë',
];

export const LAST_NAMES = [
  'Andersen', 'Bakker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Haddad', 'Ivanova', 'Jansen', 'Kowalski',
  'Lindqvist', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Umarov', 'Visser', 'Weber',
  'Yilmaz', 'Zhang',
];

export const REVIEW_OPENINGS = [
  'Exactly as described.', 'Better than I expected.', 'Solid build quality.', 'Not what I hoped for.',
  'Arrived quickly and well packed.', 'Good value for the price.', 'Looks great in person.', 'Works, but feels cheap.',
];

export const REVIEW_ENDINGS = [
  'Would buy again.', 'Returned it after a week.', 'My second one already.', 'Gift for a friend, who loved it.',
  'Instructions could be clearer.', 'Five stars from me.', 'Holds up to daily use.', 'A bit smaller than pictured.',
];
