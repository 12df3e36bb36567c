"""What every domain uses and knows no domain: errors, audit, signer, PDF and images."""
