package openstack

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/applicationcredentials"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// ensureIdentity makes the hotstack project, the hotstack user with the
// kept password, and the user's member role on the project.
func (p *postSetup) ensureIdentity(ctx context.Context) error {
	id := &Identity{client: p.admin.identity, known: p.o.Known}
	projectID, created, err := id.ensureProject(ctx, HotstackProject, DefaultDomain)
	if err != nil {
		return fmt.Errorf("project %s: %w", HotstackProject, err)
	}
	p.projectID = projectID
	p.record(createdOrExists(created), "project "+HotstackProject, "")

	userID, uo, err := id.ensureUser(ctx, HotstackUser, p.o.UserPassword, DefaultDomain)
	if err != nil {
		return fmt.Errorf("user %s: %w", HotstackUser, err)
	}
	switch uo {
	case userCreated:
		p.record(Created, "user "+HotstackUser, "")
	case userPasswordForced:
		p.record(Updated, "user "+HotstackUser, "it could not log in with the kept password: password reset to it")
	default:
		p.record(Exists, "user "+HotstackUser, "")
	}

	roleID, err := id.EnsureRole(ctx, MemberRole)
	if err != nil {
		return fmt.Errorf("role %s: %w", MemberRole, err)
	}
	what := fmt.Sprintf("role %s of user %s on project %s", MemberRole, HotstackUser, HotstackProject)
	err = roles.Validate(ctx, p.admin.identity, roleID, roles.ValidateOpts{UserID: userID, ProjectID: projectID}).ExtractErr()
	switch {
	case err == nil:
		p.record(Exists, what, "")
		return nil
	case !notFound(err):
		return fmt.Errorf("check %s: %w", what, err)
	}
	if err := id.EnsureProjectRole(ctx, roleID, userID, projectID); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	p.record(Created, what, "")
	return nil
}

func createdOrExists(created bool) Outcome {
	if created {
		return Created
	}
	return Exists
}

// wantedCloudSecret is the cloud-secret.yaml for credential id/secret.
func (p *postSetup) wantedCloudSecret(id, secret string) CloudSecret {
	return CloudSecret{
		AuthURL:                     p.o.Admin.AuthURL,
		ApplicationCredentialID:     id,
		ApplicationCredentialSecret: secret,
		RegionName:                  p.o.Region,
		Interface:                   "internal",
		IdentityAPIVersion:          3,
		AuthType:                    "v3applicationcredential",
	}
}

// ensureAppCredential makes the hotstack user's application credential
// and HotStack's cloud-secret.yaml agree. The secret is shown only when
// the credential is created, so a credential whose secret the file does
// not hold (no file, another ID, a secret that no longer logs in) is
// deleted and created again, and the file written at once.
func (p *postSetup) ensureAppCredential(ctx context.Context) error {
	c, userID := p.user.identity, p.user.userID
	what := "application credential " + AppCredentialName
	pages, err := applicationcredentials.List(c, userID, applicationcredentials.ListOpts{Name: AppCredentialName}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list application credentials of user %s: %w", HotstackUser, err)
	}
	all, err := applicationcredentials.ExtractApplicationCredentials(pages)
	if err != nil {
		return fmt.Errorf("read application credentials of user %s: %w", HotstackUser, err)
	}
	var existing *applicationcredentials.ApplicationCredential
	for i := range all {
		if all[i].Name == AppCredentialName {
			existing = &all[i]
			break
		}
	}

	reason := ""
	if existing != nil {
		switch f := p.secretFile; {
		case f == nil:
			reason = p.o.CloudSecretFile + " is missing or unreadable and the secret is shown only at creation"
		case f.ApplicationCredentialID != existing.ID:
			reason = fmt.Sprintf("%s names credential %s, not %s", p.o.CloudSecretFile, f.ApplicationCredentialID, existing.ID)
		default:
			works, err := p.appCredentialWorks(ctx, f.ApplicationCredentialID, f.ApplicationCredentialSecret)
			if err != nil {
				return err
			}
			if works {
				p.record(Exists, what, "")
				return p.writeCloudSecret(p.wantedCloudSecret(existing.ID, f.ApplicationCredentialSecret), false)
			}
			reason = "the secret in " + p.o.CloudSecretFile + " does not log in"
		}
		if err := applicationcredentials.Delete(ctx, c, userID, existing.ID).ExtractErr(); err != nil && !notFound(err) {
			return fmt.Errorf("delete %s (%s) to recreate it: %w", what, reason, err)
		}
	}

	cred, err := applicationcredentials.Create(ctx, c, userID, applicationcredentials.CreateOpts{
		Name:         AppCredentialName,
		Description:  "HotStack scenarios (written to " + p.o.CloudSecretFile + " by mage post-setup)",
		Unrestricted: true,
	}).Extract()
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	p.newSecret = cred.Secret
	if existing == nil {
		p.record(Created, what, "")
	} else {
		p.record(Updated, what, "recreated: "+reason)
	}
	return p.writeCloudSecret(p.wantedCloudSecret(cred.ID, cred.Secret), true)
}

// appCredentialWorks logs in with the credential. A refusal is false; a
// Keystone that does not answer is an error.
func (p *postSetup) appCredentialWorks(ctx context.Context, id, secret string) (bool, error) {
	if secret == "" {
		return false, nil
	}
	if p.o.Known != nil && p.o.Known.Holds(id, secret) {
		return true, nil
	}
	// A client of its own: no admin token to send, no re-login on a 401.
	provider, err := openstack.NewClient(p.o.Admin.AuthURL)
	if err != nil {
		return false, fmt.Errorf("the Keystone URL %s: %w", p.o.Admin.AuthURL, err)
	}
	provider.HTTPClient = httpClient()
	keystone := &gophercloud.ServiceClient{ProviderClient: provider, Endpoint: gophercloud.NormalizeURL(p.o.Admin.AuthURL)}
	keystone.ResourceBase = keystone.Endpoint
	err = tokens.Create(ctx, keystone, &tokens.AuthOptions{ApplicationCredentialID: id, ApplicationCredentialSecret: secret}).Err
	switch {
	case err == nil:
		if p.o.Known != nil {
			p.o.Known.Remember(id, secret)
		}
		return true, nil
	case gophercloud.ResponseCodeIs(err, http.StatusUnauthorized), notFound(err):
		return false, nil
	}
	return false, fmt.Errorf("log in with application credential %s: %w", id, err)
}
