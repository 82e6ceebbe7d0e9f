-- The LEAVE step InviteAccount runs before its invitation exists (issue 25,
-- `leave_previous_organization`): written before LeaveOrganization is
-- called and after it answers, so an attempt taken over after a crash
-- knows a leave began, and the handshake, once recorded, shows it among
-- its onboarding's steps. A step as the onboarding's `steps` hold it;
-- NULL when no leave was needed.
--
-- Expand only: a release that does not know the column never reads it.
ALTER TABLE invite_requests ADD COLUMN leave jsonb;
