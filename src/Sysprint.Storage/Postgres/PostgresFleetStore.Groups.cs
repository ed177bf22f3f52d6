using Npgsql;
using NpgsqlTypes;

namespace Sysprint.Storage.Postgres;

/// <summary>Profiles per group (fleet part version 9, <see cref="Fleet.ProfileGroups"/>).</summary>
public sealed partial class PostgresFleetStore
{
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> ListProfileGroupsAsync(CancellationToken cancellationToken) =>
        Run<IReadOnlyDictionary<string, IReadOnlyList<string>>>(async () =>
        {
            await using NpgsqlCommand command = _source.CreateCommand("SELECT profile, groups FROM fleet_profile_groups ORDER BY profile");
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var assigned = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                assigned[reader.GetString(0)] = reader.GetFieldValue<string[]>(1);
            }

            return assigned;
        });

    public Task SetProfileGroupsAsync(string profile, IReadOnlyList<string>? groups, CancellationToken cancellationToken) =>
        Run(async () =>
        {
            ArgumentNullException.ThrowIfNull(profile);
            await using NpgsqlConnection connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (NpgsqlCommand change = groups is null
                ? new NpgsqlCommand("DELETE FROM fleet_profile_groups WHERE profile = @profile", connection, transaction)
                : new NpgsqlCommand(
                    """
                    INSERT INTO fleet_profile_groups (profile, groups) VALUES (@profile, @groups)
                    ON CONFLICT (profile) DO UPDATE SET groups = EXCLUDED.groups
                    """, connection, transaction))
            {
                change.Parameters.AddWithValue("profile", profile);
                if (groups is not null)
                {
                    change.Parameters.Add(new NpgsqlParameter("groups", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = groups.ToArray() });
                }

                await change.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await BumpAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
}
