-- 022_approval_note: the words a human gives with a rejection ("use the
-- staging host instead"), shown to the model with the refusal and kept
-- with the approval (they were in the audit entry only).
ALTER TABLE approvals ADD COLUMN note TEXT;
