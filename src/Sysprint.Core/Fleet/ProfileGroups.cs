using Sysprint.Diagnostics;
using Sysprint.Storage;

namespace Sysprint.Fleet;

/// <summary>
/// Which groups' agents receive a profile (<c>sysprint profile --groups</c>,
/// <c>POST /api/profiles/{name}/groups</c>). A profile never assigned goes to every group, as every
/// profile did before assignments existed; an assignment names its groups (possibly none). Kept by
/// profile name, so it outlives the profile being replaced (<c>import --replace</c>) or deleted and
/// learnt again.
/// </summary>
public static class ProfileGroups
{
    /// <summary>What <c>--groups</c> takes for every group (the default): the assignment is removed.</summary>
    public const string All = "all";

    /// <summary>What <c>--groups</c> takes for no group: the profile stays central, no agent receives it.</summary>
    public const string None = "none";

    /// <summary>Whether an agent of <paramref name="group"/> receives a profile with this assignment (null: every group).</summary>
    public static bool Reaches(IReadOnlyList<string>? groups, string group) => groups is null || groups.Contains(group, StringComparer.Ordinal);

    /// <summary>
    /// Reads <c>--groups</c>: <c>all</c> (null: every group), <c>none</c> (no group), or group names
    /// separated by commas (each as enrollment takes it; sorted, each once).
    /// </summary>
    /// <exception cref="SysprintException">Empty, or a name that is not a group name (64).</exception>
    public static IReadOnlyList<string>? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed == All)
        {
            return null;
        }

        if (trimmed == None)
        {
            return [];
        }

        var groups = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string part in trimmed.Split(','))
        {
            string group = part.Trim();
            Validate(group);
            groups.Add(group);
        }

        return [.. groups];
    }

    /// <summary>Checks that <paramref name="group"/> is a group name, and not one of the words <c>all</c> and <c>none</c>.</summary>
    /// <exception cref="SysprintException">It is not (64).</exception>
    public static void Validate(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!HostNames.IsValid(group) || group is All or None)
        {
            throw new SysprintException(ErrorKind.Usage,
                $"group '{Printable.Escape(group)}': expected '{All}', '{None}', or group names (letters, digits, '.', '-' and '_', at most {HostNames.MaxLength}) separated by commas");
        }
    }

    /// <summary>"every group", "no group", or "groups 'db', 'web'".</summary>
    public static string Describe(IReadOnlyList<string>? groups) => groups switch
    {
        null => "every group",
        [] => "no group",
        [string one] => $"group '{one}'",
        _ => "groups " + string.Join(", ", groups.Select(g => $"'{g}'")),
    };

    /// <summary>
    /// Assigns the profile (which must exist in the fleet's store) to <paramref name="groups"/> (null: every group).
    /// A change to what agents receive: their profile feed answers at once, and agents of a group
    /// left out drop the profile they had from the fleet.
    /// </summary>
    /// <exception cref="SysprintException">No such profile (66).</exception>
    public static async Task SetAsync(IFleetStore store, string profile, IReadOnlyList<string>? groups, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(profile);
        if (store.Fingerprints.FindProfile(profile) is null)
        {
            throw new SysprintException(ErrorKind.InputMissing,
                $"{store.Location}: no profile '{Printable.Escape(profile)}' (profiles: {string.Join(", ", store.Fingerprints.ListProfiles().Select(p => p.Name).DefaultIfEmpty("none"))})");
        }

        if (groups is not null)
        {
            foreach (string group in groups)
            {
                Validate(group);
            }
        }

        await store.SetProfileGroupsAsync(profile, groups, cancellationToken).ConfigureAwait(false);
    }
}
