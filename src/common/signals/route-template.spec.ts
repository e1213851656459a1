import { isIdSegment, requestKey, templatePath } from './route-template';

describe('templatePath', () => {
  it.each([
    ['https://app.example.com/projects/8812/settings?tab=1#x', '/projects/:id/settings'],
    ['/projects/3f2b8a9c-1d2e-4f5a-9b8c-7d6e5f4a3b2c/settings/', '/projects/:id/settings'],
    ['/commits/9fceb02d0ae598e95dc970b74767f19372d61af8', '/commits/:id'],
    ['/objects/507f1f77bcf86cd799439011', '/objects/:id'],
    ['/share/V1StGXR8_Z5jdHi6B-myT', '/share/:id'],
    ['/blog/how-to-export-data-42', '/blog/:id'],
    ['/customers/cus_NffrFeUfNV2Hib/invoices', '/customers/:id/invoices'],
    ['/users/ana%40example.com/profile', '/users/:id/profile'],
    ['https://app.example.com/#/projects/17/billing', '/projects/:id/billing'],
    ['/Settings/Billing-Details', '/settings/billing-details'],
    ['/', '/'],
  ])('%s → %s', (input, expected) => {
    expect(templatePath(input)).toBe(expected);
  });

  it('leaves words, versions and plain slugs alone', () => {
    expect(isIdSegment('settings')).toBe(false);
    expect(isIdSegment('billing-details')).toBe(false);
    expect(isIdSegment('v2')).toBe(false);
    expect(isIdSegment('dashboard')).toBe(false);
    expect(templatePath(null)).toBeNull();
  });
});

describe('requestKey', () => {
  it('is method, templated path and status', () => {
    expect(requestKey('post', 'https://api.example.com/api/billing/42/card?x=1', 500)).toBe(
      'POST /api/billing/:id/card 500',
    );
  });
});
