-- A commit's event (its blocks as a CAR, 2-5 KB for one record) was over PostgreSQL's 2 KB toast
-- threshold about half the time: compressed with pglz (the CIDs and signatures barely compress) and
-- moved out of line, a second heap and index insert per commit. Events are written once and read
-- whole, so they now stay in the row, uncompressed, up to a page; larger ones are still toasted.
ALTER TABLE seq_event SET (toast_tuple_target = 8160);
