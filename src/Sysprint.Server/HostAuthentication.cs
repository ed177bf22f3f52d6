using Microsoft.AspNetCore.Http;
using Sysprint.Fleet;
using Sysprint.Storage;

namespace Sysprint.Server;

/// <summary>
/// Finds the host behind an agent's request: <c>Authorization: Bearer sph_...</c>, the credential
/// it received at enrollment, looked up by its hash. Unknown: 401; revoked: 403.
/// </summary>
internal static class HostAuthentication
{
    /// <summary>The bearer token of the request, or null.</summary>
    public static string? Bearer(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }

    public static async Task<FleetHost> AuthenticateAsync(HttpRequest request, IFleetStore store, CancellationToken cancellationToken)
    {
        string? credential = Bearer(request);
        if (credential is null)
        {
            throw new BadRequestException("expected Authorization: Bearer CREDENTIAL (the host's credential from enrollment)", StatusCodes.Status401Unauthorized);
        }

        FleetHost? host = FleetSecrets.LooksLike(credential, FleetSecrets.CredentialPrefix)
            ? await store.FindHostByCredentialAsync(FleetSecrets.Hash(credential), cancellationToken).ConfigureAwait(false)
            : null;
        if (host is null)
        {
            throw new BadRequestException("unknown host credential: this host must enroll (again)", StatusCodes.Status401Unauthorized);
        }

        if (host.Revoked is not null)
        {
            throw new BadRequestException($"host '{host.Name}' was revoked by an administrator", StatusCodes.Status403Forbidden);
        }

        return host;
    }
}
