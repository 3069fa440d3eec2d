package dev.alteran.pds.store;

import dev.alteran.atproto.data.Cid;
import dev.alteran.atproto.repo.BlockSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Blocks read on one connection (so inside its transaction or snapshot) with one prepared statement,
 * from {@code repo_block} or a table of the same {@code (cid, content)} shape. Not thread-safe; the
 * statement closes with the connection or {@link #close()}.
 */
final class ConnectionBlocks implements BlockSource, AutoCloseable {
    private final PreparedStatement select;

    ConnectionBlocks(Connection c, String table) throws SQLException {
        this.select = c.prepareStatement("SELECT content FROM " + table + " WHERE cid = ?");
    }

    @Override
    public byte[] get(Cid cid) {
        try {
            select.setBytes(1, cid.bytes());
            try (var rs = select.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw new StoreException(e);
        }
    }

    @Override
    public void close() throws SQLException {
        select.close();
    }
}
