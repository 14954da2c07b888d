/** What the tenant's rules are configured with (Auth0's rule settings), for every test. */
export const configuration = {
  CORP_NETWORKS: '10.0.0.0/8, 192.0.2.0/24',
  CRM_URL: 'https://crm.acme.example/api',
  CRM_TOKEN: 'crm-token',
  RISK_API_URL: 'https://risk.acme.example',
  RISK_THRESHOLD: '80',
  TERMS_URL: 'https://acme.example/terms',
  TERMS_VERSION: '2024-06',
  BILLING_TOKEN_URL: 'https://billing.acme.example/oauth/token',
  BILLING_API_URL: 'https://billing.acme.example/v2',
  BILLING_CLIENT_ID: 'rules',
  BILLING_CLIENT_SECRET: 'billing-secret',
}

/** One rule of rules/, as a file URL. */
export const rule = (file: string): URL => new URL(`../rules/${file}`, import.meta.url)

/** The whole rules folder. */
export const rulesDir = new URL('../rules/', import.meta.url)
