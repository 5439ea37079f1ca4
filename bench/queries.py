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
