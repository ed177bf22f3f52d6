namespace Sysprint.Storage.Postgres;

public sealed partial class PostgresFingerprintStore
{
    /// <inheritdoc/>
    /// <remarks>Under the write lock, and one change to what agents receive: the revision goes up once, whatever the profile holds.</remarks>
    public bool ReplaceProfile(ProfileReplacement replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        ArgumentException.ThrowIfNullOrEmpty(replacement.Name);
        ArgumentOutOfRangeException.ThrowIfLessThan(replacement.Window, Model.Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replacement.Window, Model.Fingerprint.MaxWindow);
        ArgumentException.ThrowIfNullOrEmpty(replacement.Detector);
        ThrowIfNaN(replacement.Threshold);
        var probe = new ProfileInfo(0, replacement.Name, replacement.Window, replacement.Detector, replacement.Threshold, DateTimeOffset.UtcNow);
        var logs = new List<(LearntLog Log, string[] Grams, byte[]? Windows)>(replacement.Logs.Count);
        foreach (ReplacementLog log in replacement.Logs)
        {
            // Checked before anything is written.
            logs.Add((log.Log, Grams(probe, log.Grams), log.Windows?.ToBytes()));
        }

        return Write(changesProfiles: true, (connection, transaction) =>
        {
            bool replaced = DeleteProfile(connection, transaction, replacement.Name);
            (ProfileInfo profile, _) = CreateProfile(connection, transaction, replacement.Name, replacement.Window, replacement.Detector, replacement.Threshold);
            InsertNames(connection, transaction, replacement.NewNames, learnt: true);
            foreach ((LearntLog log, string[] grams, byte[]? windows) in logs)
            {
                LearnLog(connection, transaction, profile, log, grams, windows, []);
            }

            foreach ((string key, string value) in replacement.Settings)
            {
                SetSetting(connection, transaction, key, value);
            }

            return (replaced, true);
        });
    }
}
