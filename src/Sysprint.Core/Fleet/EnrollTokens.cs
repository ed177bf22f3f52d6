using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Fleet;

/// <summary>Makes enrollment secrets (<c>sysprint enroll-token</c>, <c>POST /api/enroll-tokens</c>): the secret is shown once, the store keeps its hash.</summary>
public static class EnrollTokens
{
    /// <summary>The group of hosts enrolled without one named.</summary>
    public const string DefaultGroup = "default";

    /// <summary>Records a new secret for <paramref name="group"/>, valid until <paramref name="validFor"/> from now (null: until revoked).</summary>
    /// <exception cref="SysprintException">A group name that is not a name, or a validity that is not positive (64).</exception>
    public static async Task<(EnrollSecret Stored, string Secret)> CreateAsync(IFleetStore store, string group, TimeSpan? validFor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(group);
        if (!HostNames.IsValid(group))
        {
            throw new SysprintException(ErrorKind.Usage, $"group '{Printable.Escape(group)}': expected letters, digits, '.', '-' and '_' (at most 253)");
        }

        if (validFor is { } span && span <= TimeSpan.Zero)
        {
            throw new SysprintException(ErrorKind.Usage, "an enrollment secret must be valid for a positive time");
        }

        string secret = FleetSecrets.New(FleetSecrets.EnrollPrefix);
        EnrollSecret stored = await store.AddEnrollSecretAsync(FleetSecrets.Hash(secret), group, now, now + validFor, cancellationToken).ConfigureAwait(false);
        return (stored, secret);
    }
}
