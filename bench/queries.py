"""The GraphQL documents the bench sends, one per row of the table."""

from __future__ import annotations

ME = "query Me { me { id } }"

LOGIN = """
mutation Login($username: String!, $password: String!) {
  login(input: {username: $username, password: $password, deviceName: "bench"}) {
    token
    errors { message }
  }
}
"""

HOME = """
query Home($first: Int!) {
  me {
    id
    projects(first: $first) {
      edges {
        node {
          id
          code
          name
          status
          health
          openTicketCount
          nextMilestone { id title plannedDate forecastDate }
          milestones(first: 10) {
            edges { node { id title plannedDate actualDate status isOverdue daysOverdue } }
          }
        }
      }
    }
  }
}
"""

BOARD = """
query Board($first: Int!) {
  overdueMilestones(first: $first) {
    edges {
      node {
        id
        title
        plannedDate
        daysOverdue
        project { id code name town responsibleUnit }
      }
    }
  }
  overdueSummary(groupBy: PROGRAMME) { key label overdueCount projectCount maxDaysOverdue }
}
"""

# A mid-sized document (a project card as the phone app asks for it: about 40 fields, two
# fragments) whose execution is light, so the cost the document cache removes shows.
CARD = """
query ProjectCard($photos: Int!) {
  me {
    ...Person
    projects(first: 1) {
      edges {
        node {
          id
          code
          name
          responsibleUnit
          leadOfficial
          town
          location { latitude longitude }
          siteRadiusMeters
          totalInvestment
          status
          plannedStart
          plannedFinish
          photos(first: $photos) {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges { cursor node { ...PhotoCard } }
          }
        }
      }
    }
  }
}

fragment Person on User { id username displayName role unit }

fragment PhotoCard on Photo {
  id
  caption
  takenAt
  uploadedAt
  onSite
  width
  height
  contentType
  byteSize
  location { latitude longitude }
  uploadedBy { ...Person }
}
"""

SYNC = """
query Sync($since: String, $first: Int) {
  changes(since: $since, first: $first) {
    nextToken
    hasMore
    tombstones { id typename reason }
    upserts {
      __typename
      id
      ... on Programme { code name year }
      ... on Project {
        code name projectStatus: status health town responsibleUnit plannedStart plannedFinish
        forecastFinish openTicketCount programmes { id } siteManagers { id displayName }
      }
      ... on TaskSheet {
        project { id } year revision scope annualInvestmentTarget completedInvestment
        items { id title dueDate done }
      }
      ... on Phase { project { id } name sequence plannedStart plannedFinish }
      ... on Milestone {
        project { id } phase { id } title baselineDate plannedDate forecastDate actualDate
        milestoneStatus: status isOverdue daysOverdue slipDays completionNote dependsOn { id }
      }
      ... on ShortageTicket {
        project { id } number shortage: kind title severity ticketStatus: status trade headcount
        material quantity unit neededBy version updatedAt assignee { id displayName }
        events { at action fromStatus toStatus note }
      }
      ... on Photo {
        project { id } proofOf: milestone { id } ticket { id } caption takenAt width height
      }
      ... on SupervisionReview {
        project { id } milestone { id } instruction respondBy response respondedAt isOverdue
      }
      ... on DailyReport {
        project { id } date weather workersNeeded workersOnSite workDone problems version
        editable workforce { trade needed onSite }
      }
      ... on Notification { kind message ticket { id } subjectId createdAt readAt }
    }
  }
}
"""
"""A phone's catch-up: every synced type with the fields its screens show."""
