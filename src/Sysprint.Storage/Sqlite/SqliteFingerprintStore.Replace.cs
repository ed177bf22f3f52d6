using Microsoft.Data.Sqlite;

namespace Sysprint.Storage.Sqlite;

public sealed partial class SqliteFingerprintStore
{
    /// <inheritdoc/>
    public bool ReplaceProfile(ProfileReplacement replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        ArgumentException.ThrowIfNullOrEmpty(replacement.Name);
        ArgumentOutOfRangeException.ThrowIfLessThan(replacement.Window, Model.Fingerprint.MinWindow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replacement.Window, Model.Fingerprint.MaxWindow);
        ArgumentException.ThrowIfNullOrEmpty(replacement.Detector);
        ThrowIfNaN(replacement.Threshold);
        try
        {
            using SqliteTransaction transaction = BeginWrite();
            bool replaced = DeleteProfile(replacement.Name, transaction);
            ProfileInfo profile = CreateProfile(replacement.Name, replacement.Window, replacement.Detector, replacement.Threshold, transaction);
            InsertNames(replacement.NewNames, learnt: true, transaction);
            foreach (ReplacementLog log in replacement.Logs)
            {
                LearnLog(profile, log.Log, log.Grams, [], log.Windows, transaction, out _);
            }

            foreach ((string key, string value) in replacement.Settings)
            {
                SetSetting(key, value, transaction);
            }

            transaction.Commit();
            return replaced;
        }
        catch (SqliteException ex)
        {
            throw Translate(ex);
        }
    }
}
